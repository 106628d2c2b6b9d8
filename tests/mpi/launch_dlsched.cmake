# The launch-and-judge step the MPI test scripts share (include()d by run_mpi_test.cmake and
# run_profile_test.cmake, which set MPIEXEC, MPIEXEC_ARGS, DLSCHED, RUN_TIMEOUT, EXPECT_ERROR).
#
# launch_dlsched(COMMAND [ARGS args...] [LEAVES_NOTHING files...]) runs
# `MPIEXEC MPIEXEC_ARGS DLSCHED COMMAND args...`, prints its output and fails the test if it
# does not end within RUN_TIMEOUT. With EXPECT_ERROR (a regex) the run must fail, print it and
# leave none of the LEAVES_NOTHING files; the calling script then ends there. Without it, the run
# must succeed. A macro, so that return() ends the calling script.
macro(launch_dlsched command)
  cmake_parse_arguments(LAUNCH "" "" "ARGS;LEAVES_NOTHING" ${ARGN})
  execute_process(COMMAND ${MPIEXEC} ${MPIEXEC_ARGS} ${DLSCHED} ${command} ${LAUNCH_ARGS}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT ${RUN_TIMEOUT})
  message("${out}")
  message("${err}")
  if(rc MATCHES "timeout|Process terminated")
    message(FATAL_ERROR "${command} did not end within ${RUN_TIMEOUT} s (${rc})")
  endif()
  if(EXPECT_ERROR)
    if(rc EQUAL 0)
      message(FATAL_ERROR "${command} succeeded but should have failed with: ${EXPECT_ERROR}")
    endif()
    if(NOT "${out}${err}" MATCHES "${EXPECT_ERROR}")
      message(FATAL_ERROR "${command} failed (${rc}) without the expected message: ${EXPECT_ERROR}")
    endif()
    foreach(f ${LAUNCH_LEAVES_NOTHING})
      if(EXISTS "${f}")
        message(FATAL_ERROR "a failed ${command} left ${f} behind")
      endif()
    endforeach()
    message("failed as expected (exit ${rc})")
    return()
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${command} failed: exit ${rc}")
  endif()
endmacro()
