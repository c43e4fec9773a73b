#ifndef TASKPOD_CYAML_SHIM_H
#define TASKPOD_CYAML_SHIM_H
#include <yaml.h>
#endif
