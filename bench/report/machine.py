"""One line that says where the numbers come from."""

import os
import platform


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe(cpus):
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        glibc = "glibc ?"
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"{cpus} CPUs ({cpu_model()}), Linux {platform.release()}, {glibc}, "
            f"load average {load} at the end")
