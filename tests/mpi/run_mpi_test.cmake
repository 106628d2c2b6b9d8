# Runs one MPI test of the emulator (cmake -P). Arguments are lists joined with '|':
#   MPIEXEC, MPIEXEC_ARGS   the launcher and its flags (rank count included)
#   EMULATE_ARGS            arguments of `dlsched emulate`
#   DLSCHED                 the dlsched executable
#   OUT                     results file to write and check (removed first)
#   CHECKER, CHECK_ARGS     results checker run after a successful emulation
#   SIM_ARGS                optional: `dlsched simulate` arguments; its file is passed to the
#                           checker with --compare
#   MEASURED_THROUGHPUTS    optional (ON): the simulation reads the emulation's measured rates
#                           (written by the checker) with --throughputs
#   EXPECT_ERROR            optional regex: the emulation must fail (non-zero exit) and print it
#   RUN_TIMEOUT             seconds before the launcher is killed (the ctest TIMEOUT is larger)
foreach(var MPIEXEC_ARGS EMULATE_ARGS CHECK_ARGS SIM_ARGS)
  string(REPLACE "|" ";" ${var} "${${var}}")
endforeach()
if(NOT RUN_TIMEOUT)
  set(RUN_TIMEOUT 90)
endif()
if(OUT)
  file(REMOVE "${OUT}")
  list(APPEND EMULATE_ARGS -o "${OUT}")
endif()

include(${CMAKE_CURRENT_LIST_DIR}/launch_dlsched.cmake)
launch_dlsched(emulate ARGS ${EMULATE_ARGS})

if(SIM_ARGS AND MEASURED_THROUGHPUTS)
  set(measured "${OUT}.measured.json")
  execute_process(COMMAND ${CHECKER} "${OUT}" --write-throughputs "${measured}" RESULT_VARIABLE rc
                  TIMEOUT 60)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "could not write the measured throughputs: exit ${rc}")
  endif()
  list(APPEND SIM_ARGS --throughputs "${measured}")
endif()
if(SIM_ARGS)
  set(sim_out "${OUT}.sim.h5")
  file(REMOVE "${sim_out}")
  execute_process(COMMAND ${DLSCHED} simulate ${SIM_ARGS} --no-progress -o "${sim_out}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "simulation failed: exit ${rc}")
  endif()
  list(APPEND CHECK_ARGS --compare "${sim_out}")
endif()
execute_process(COMMAND ${CHECKER} "${OUT}" ${CHECK_ARGS} RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "results check failed: exit ${rc}")
endif()
