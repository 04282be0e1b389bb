// Ends the kernel when the Jupyter process that started it is gone.
//
// Where you are: kernels/matrix-ts, loaded by start-tslab.cjs before tslab starts. jupyter_client
// starts a kernel in its own session (so interrupts reach the kernel's whole process group) and
// tells it its pid in JPY_PARENT_PID. When that process dies without shutting the kernel down (a
// killed `nbconvert --execute`, a crashed notebook server), nothing else stops the kernel: tslab
// would keep running, and keep whatever run a cell started. ipykernel watches its parent for the
// same reason; this does what its ParentPollerUnix does: once the kernel has been re-parented, exit.
"use strict";

/** Exits the process once its parent changes; only for kernels started by Jupyter (JPY_PARENT_PID). */
exports.exitWithParent = (intervalMs = 1000) => {
  if (!process.env.JPY_PARENT_PID) return;
  const parent = process.ppid;
  const check = () => {
    if (process.ppid !== parent || parent === 1) process.exit(0);
  };
  check();
  setInterval(check, intervalMs).unref();
};
