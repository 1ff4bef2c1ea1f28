// dialdeck-xls: parses one .xls file (on stdin) in a process of its own and
// writes its rows to stdout for the server (see src/import/xls_reader.cpp).
#include "import/reader_internal.hpp"

int main(int argc, char** argv) { return dd::import::XlsWorkerMain(argc, argv); }
