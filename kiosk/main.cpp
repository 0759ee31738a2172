// kiosk: the touchscreen app and the command line over the same core services.
// This file only wires the parts together; see kiosk/cli/ and kiosk/ui/.
#include "kiosk/cli/cli.hpp"

int main(int argc, char** argv) { return kiosk::cli::Main(argc, argv); }
