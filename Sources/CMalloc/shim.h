#ifndef ROOMKEEPER_CMALLOC_SHIM_H
#define ROOMKEEPER_CMALLOC_SHIM_H
// glibc's malloc settings (mallopt), which Swift's Glibc module leaves out.
#include <malloc.h>
#endif
