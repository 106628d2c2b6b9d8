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

include(${CMAKE_CURRENT_LIST_DIR}/launch_dlsched.cmake)
launch_dlsched(profile ARGS ${PROFILE_ARGS} --out "${OUT}" --table "${TABLE}"
               LEAVES_NOTHING "${OUT}" "${TABLE}" "${OUT}.partial" "${TABLE}.partial")
execute_process(COMMAND ${CHECKER} "${OUT}" "${TABLE}" ${CHECK_ARGS} RESULT_VARIABLE rc
                TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "profile check failed: exit ${rc}")
endif()
