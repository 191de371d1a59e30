"""Runs the C test binaries (optionally under valgrind) and prints one closing line for all."""
import re
import subprocess
import sys

VALGRIND = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect"]


def main(argv):
    use_valgrind = "--valgrind" in argv
    binaries = [a for a in argv if a != "--valgrind"]
    passed = failed = 0
    for binary in binaries:
        cmd = (VALGRIND if use_valgrind else []) + [binary]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        sys.stderr.write(proc.stderr)
        counts = re.search(r"(\d+) passed, (\d+) failed", proc.stdout)
        if counts:
            passed += int(counts.group(1))
            failed += int(counts.group(2))
        if proc.returncode != 0 or not counts:
            failed += 0 if counts and int(counts.group(2)) else 1
            print(f"FAILED {binary} (exit {proc.returncode})\n{proc.stdout}")
    print(f"C: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
