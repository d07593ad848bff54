"""A forger of Landlock denials, for the tests that check that a process's denials are never
taken for another's: it runs as another user and is nobody's child that matters.

    python3 forge_denials.py GO DONE TARGET [report]

With `report`, before forging for a victim it tries to pass for a child the victim started with
a sandbox: it reopens, through `/proc/<victim>/fd`, every pipe or socket the victim holds
without blocking, and writes there its own process id and user id as a sandboxed child reports
them (what any process of the victim's user may do). For each victim's process id read from the FIFO `GO` (`stop` ends it), one thread per policy id
1 to 40 names itself with the victim's mark (`=l<pid>.<id>`, base 36), restricts itself with
a domain that handles make_dir, and is denied `mkdir TARGET/x` (TARGET is writable by anyone,
so the denial is Landlock's). Then it writes how many were denied to the FIFO `DONE`, and a
line on standard output.
"""

import ctypes
import os
import struct
import sys
import threading

libc = ctypes.CDLL(None, use_errno=True)
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_RESTRICT_SELF = 446
PR_SET_NAME = 15
PR_SET_NO_NEW_PRIVS = 38
ACCESS_FS_MAKE_DIR = 1 << 7
IDS = range(1, 41)


def base36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        out = digits[n % 36] + out
        n //= 36
        if n == 0:
            return out


def prctl(option, arg):
    return libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                      ctypes.c_ulong(0))


def forge(victim, ident, target, seen):
    name = ctypes.create_string_buffer(f"=l{base36(victim)}.{base36(ident)}".encode())
    prctl(PR_SET_NAME, ctypes.addressof(name))
    handled = ctypes.c_uint64(ACCESS_FS_MAKE_DIR)
    fd = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(handled), ctypes.c_size_t(8),
                      ctypes.c_uint32(0))
    if fd < 0 or prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
        seen.append(-1)
        return
    if libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, fd, ctypes.c_uint32(0)) != 0:
        seen.append(-2)
        return
    try:
        os.mkdir(os.path.join(target, "x"))
        seen.append(0)
    except OSError as e:
        seen.append(e.errno)


def report_as_child(victim):
    """Writes this process's id and user id, as a sandboxed child reports itself, on every
    pipe or socket `victim` holds open without blocking: how many took it."""
    taken = 0
    fds = f"/proc/{victim}/fd"
    for fd in os.listdir(fds):
        try:
            kind = os.readlink(f"{fds}/{fd}")
            with open(f"/proc/{victim}/fdinfo/{fd}") as info:
                fields = dict(line.split(":", 1) for line in info if ":" in line)
            flags = int(fields["flags"].strip(), 8)
        except OSError:
            continue
        if not kind.startswith(("pipe:", "socket:")) or not flags & os.O_NONBLOCK:
            continue
        try:
            out = os.open(f"{fds}/{fd}", os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.write(out, struct.pack("=iI", os.getpid(), os.getuid()))
            taken += 1
        except OSError:
            pass
        os.close(out)
    return taken


def main():
    go, done, target = sys.argv[1:4]
    report = sys.argv[4:5] == ["report"]
    while True:
        with open(go) as f:
            lines = f.read().split()
        for line in lines:
            if line == "stop":
                return
            victim = int(line)
            if report:
                print(f"reported to {victim}: {report_as_child(victim)}", file=sys.stderr,
                      flush=True)
            seen = []
            for ident in IDS:
                thread = threading.Thread(target=forge, args=(victim, ident, target, seen))
                thread.start()
                thread.join()
            denied = seen.count(13)
            print(f"forged {victim}: {denied} of {len(IDS)} denied", flush=True)
            with open(done, "w") as f:
                f.write(f"{denied}\n")


main()
