#ifndef SECRETSMITH_CLIBYAML_SHIM_H
#define SECRETSMITH_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
