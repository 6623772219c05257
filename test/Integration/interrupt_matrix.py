"""Interrupts a running `quant-eval matrix` once its first cell has a record,
then runs the same command again, and prints what a user would see.

  interrupt_matrix.py {group|parent} OUT_DIR QUANT_EVAL_ARGS...

`group` sends SIGINT to the matrix's whole process group, as Ctrl-C in a
terminal does (its running steps get it too); `parent` sends it to the
matrix process only, which must then stop its steps itself. Prints the exit
code, the matrix's message, how many records the interrupted run kept and
whether they are all successful, and the resumed run's first line.
"""
import glob
import json
import os
import signal
import subprocess
import sys
import time

mode, out, args = sys.argv[1], sys.argv[2], sys.argv[3:]


def records():
    return sorted(glob.glob(os.path.join(out, "*", "*.json")))


# A session of its own: the matrix leads its process group, as a shell job.
matrix = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, start_new_session=True)
deadline = time.time() + 600
while not records() and matrix.poll() is None and time.time() < deadline:
    time.sleep(0.05)
if matrix.poll() is not None:
    sys.exit("the matrix ended before it could be interrupted")
if mode == "group":
    os.killpg(matrix.pid, signal.SIGINT)
else:
    os.kill(matrix.pid, signal.SIGINT)
try:
    _, err = matrix.communicate(timeout=120)
except subprocess.TimeoutExpired:
    os.killpg(matrix.pid, signal.SIGKILL)
    sys.exit("the matrix hung after SIGINT")
print("exit code", matrix.returncode)
for line in err.splitlines():
    if line.strip():
        print("stderr:", line)
kept = records()
statuses = {json.load(open(r))["status"] for r in kept}
print("records kept", len(kept), "all ok" if statuses <= {"ok"} else statuses)
# No step of the interrupted run survives it.
time.sleep(0.5)
left = subprocess.run(["pgrep", "-f", out], capture_output=True, text=True)
steps = [p for p in left.stdout.split() if int(p) != os.getpid()]
print("steps still running:", len(steps))

resumed = subprocess.run(args, capture_output=True, text=True, timeout=900)
first = resumed.stdout.splitlines()[0] if resumed.stdout else ""
print("resumed:", first)
print("resumed with the kept records:",
      first.split(", ")[1] == "%d done before" % len(kept))
print("resumed exit code", resumed.returncode)
