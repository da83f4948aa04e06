"""Peak resident memory of the calling process, for the benchmarks that run children."""

from __future__ import annotations


def own_peak_rss_mb() -> float:
    """This process's own peak RSS in MB.

    Reads ``VmHWM``, which starts afresh at exec. ``ru_maxrss`` (the fallback where /proc is
    missing) survives exec on Linux, so a child started from a big parent would report at least
    the parent's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    except (OSError, StopIteration, ValueError):
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024, 1)
