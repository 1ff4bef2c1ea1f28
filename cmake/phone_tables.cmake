# Phone prefix tables (carrier names, time zones, +86 geocoding), generated at
# build time from the Debian package python3-phonenumbers by
# scripts/gen-phone-tables, and compiled into dialdeck_lib. No network needed.
#
# Debian's python3 (/usr/bin/python3) is preferred: a pyenv or venv python3
# that happens to be first on PATH usually cannot import phonenumbers.
find_program(DD_PHONE_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT DD_PHONE_PYTHON)
  find_program(DD_PHONE_PYTHON NAMES python3 REQUIRED)
endif()
execute_process(
  COMMAND ${DD_PHONE_PYTHON} -c "import phonenumbers, os; print(os.path.dirname(phonenumbers.__file__))"
  OUTPUT_VARIABLE DD_PHONENUMBERS_PY_DIR
  OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE DD_PHONENUMBERS_PY_RC
  ERROR_QUIET)
if(NOT DD_PHONENUMBERS_PY_RC EQUAL 0)
  message(FATAL_ERROR "${DD_PHONE_PYTHON} cannot import phonenumbers: "
                      "apt-get install python3-phonenumbers")
endif()

set(DD_PHONE_TABLES_CPP ${CMAKE_BINARY_DIR}/generated/phone_tables.cpp)
add_custom_command(
  OUTPUT ${DD_PHONE_TABLES_CPP}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/generated
  COMMAND ${DD_PHONE_PYTHON} ${CMAKE_SOURCE_DIR}/scripts/gen-phone-tables ${DD_PHONE_TABLES_CPP}
  DEPENDS ${CMAKE_SOURCE_DIR}/scripts/gen-phone-tables
          ${DD_PHONENUMBERS_PY_DIR}/__init__.py
  COMMENT "Generating phone prefix tables from python3-phonenumbers"
  VERBATIM)
target_sources(dialdeck_lib PRIVATE ${DD_PHONE_TABLES_CPP})
