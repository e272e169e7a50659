#ifndef ROOMKEEPER_CGIT2_SHIM_H
#define ROOMKEEPER_CGIT2_SHIM_H

#include <git2.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one wrapper per option used. */

/* Points libgit2's search path for one configuration level (system, global, XDG) at `path`. */
static inline int roomkeeper_git_set_search_path(int level, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, path);
}

/* Verifies every object libgit2 writes or reads back from a fetch. */
static inline int roomkeeper_git_enable_strict_object_creation(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, enabled);
}

#endif
