#pragma once
// The one way to include ldns: ldns 1.8.3 redefines bool/true/false in C++ unless <stdbool.h> comes first.
#include <stdbool.h>
#include <ldns/ldns.h>
