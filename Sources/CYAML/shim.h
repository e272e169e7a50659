#ifndef ROOMKEEPER_CYAML_SHIM_H
#define ROOMKEEPER_CYAML_SHIM_H
#include <yaml.h>
#endif
