# Runs one MPI test of `dlsched profile` (cmake -P). Arguments are lists joined with '|':
#   MPIEXEC, MPIEXEC_ARGS   the launcher and its flags (rank count included)
#   DLSCHED, PROFILE_ARGS   the executable and the arguments of `dlsched profile`
#   OUT, TABLE              the HDF5 file and the CSV to write (removed first)
#   CHECKER, CHECK_ARGS     emu_check_profile and its options, run after a successful profile
#   EXPECT_ERROR            optional regex: the run must fail (non-zero exit), print it, and
#                           leave neither output file (nor a temporary one) behind
#   RUN_TIMEOUT             seconds before the launcher is killed
foreach(var MPIEXEC_ARGS PROFILE_ARGS CHECK_ARGS)
  string(REPLACE "|" ";" ${var} "${${var}}")
endforeach()
file(REMOVE "${OUT}" "${TABLE}" "${OUT}.partial" "${TABLE}.partial")

execute_process(COMMAND ${MPIEXEC} ${MPIEXEC_ARGS} ${DLSCHED} profile ${PROFILE_ARGS}
                        --out "${OUT}" --table "${TABLE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${RUN_TIMEOUT})
message("${out}")
message("${err}")
if(rc MATCHES "timeout|Process terminated")
  message(FATAL_ERROR "profile did not end within ${RUN_TIMEOUT} s (${rc})")
endif()

if(EXPECT_ERROR)
  if(rc EQUAL 0)
    message(FATAL_ERROR "profile succeeded but should have failed with: ${EXPECT_ERROR}")
  endif()
  if(NOT "${out}${err}" MATCHES "${EXPECT_ERROR}")
    message(FATAL_ERROR "profile failed (${rc}) without the expected message: ${EXPECT_ERROR}")
  endif()
  foreach(f "${OUT}" "${TABLE}" "${OUT}.partial" "${TABLE}.partial")
    if(EXISTS "${f}")
      message(FATAL_ERROR "a failed profile left ${f} behind")
    endif()
  endforeach()
  message("failed as expected (exit ${rc}), no output left")
  return()
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "profile failed: exit ${rc}")
endif()
execute_process(COMMAND ${CHECKER} "${OUT}" "${TABLE}" ${CHECK_ARGS} RESULT_VARIABLE rc
                TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "profile check failed: exit ${rc}")
endif()
