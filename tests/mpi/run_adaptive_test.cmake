# Runs an emulation of adaptive jobs and checks it against the leases rank 0 sent (cmake -P).
# Arguments are lists joined with '|':
#   MPIEXEC, MPIEXEC_ARGS   the launcher and its flags (rank count included)
#   EMULATE_ARGS            arguments of `dlsched emulate`
#   DLSCHED                 the dlsched executable
#   OUT                     results file to write and check (removed first); the lease log is
#                           OUT.leases
#   CHECKER, CHECK_ARGS     emu_check_adaptive and its options
#   SIM_ARGS                optional: `dlsched simulate` arguments of the same experiment; its
#                           file is passed to the checker with --compare
#   RUN_TIMEOUT             seconds before the launcher is killed
foreach(var MPIEXEC_ARGS EMULATE_ARGS CHECK_ARGS SIM_ARGS)
  string(REPLACE "|" ";" ${var} "${${var}}")
endforeach()
set(leases "${OUT}.leases")
file(REMOVE "${OUT}" "${leases}")
set(ENV{DLSCHED_EMU_LEASE_LOG} "${leases}")
include(${CMAKE_CURRENT_LIST_DIR}/launch_dlsched.cmake)
launch_dlsched(emulate ARGS ${EMULATE_ARGS} -o "${OUT}")
unset(ENV{DLSCHED_EMU_LEASE_LOG})
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
execute_process(COMMAND ${CHECKER} "${OUT}" "${leases}" ${CHECK_ARGS} RESULT_VARIABLE rc
                TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "adaptive results check failed: exit ${rc}")
endif()
