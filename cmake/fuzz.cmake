# libFuzzer targets for the spreadsheet readers in src/import/.
#
# Needs clang, in a build directory of its own:
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DDIALDECK_FUZZ=ON -DDIALDECK_BUILD_TESTS=OFF
#   cmake --build build-fuzz --target fuzz_csv fuzz_xlsx
# or simply scripts/run-fuzz. Included from the top-level CMakeLists.txt after
# the libraries are found (it uses PkgConfig::LIBZIP, EXPAT::EXPAT, ...).
include_guard(GLOBAL)
option(DIALDECK_FUZZ "Build the libFuzzer targets fuzz_csv and fuzz_xlsx (clang only)" OFF)

if(DIALDECK_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "DIALDECK_FUZZ needs clang: configure with CC=clang CXX=clang++")
  endif()
  set(DD_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  # The reader sources only, instrumented (not the whole dialdeck_lib).
  add_library(dd_import_fuzz STATIC
    src/import/table_reader.cpp
    src/import/csv_reader.cpp
    src/import/encoding.cpp
    src/import/xlsx_reader.cpp
    src/import/xls_reader.cpp
    src/core/result.cpp)
  target_include_directories(dd_import_fuzz PUBLIC src)
  target_compile_options(dd_import_fuzz PUBLIC ${DD_FUZZ_SANITIZERS} -fsanitize=fuzzer-no-link
    -fno-omit-frame-pointer -g)
  target_compile_options(dd_import_fuzz PRIVATE ${DD_WARNINGS})
  target_link_libraries(dd_import_fuzz PUBLIC PkgConfig::LIBZIP EXPAT::EXPAT PkgConfig::FREEXL
    ICU::uc)
  foreach(target csv xlsx)
    add_executable(fuzz_${target} src/import/${target}_fuzz.cpp)
    target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer ${DD_WARNINGS})
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer ${DD_FUZZ_SANITIZERS})
    target_link_libraries(fuzz_${target} PRIVATE dd_import_fuzz)
  endforeach()
endif()
