"""The device: speed switches, precision, timing, threads, FLOP counting, profiling, the allocator, and the environment
a number was computed on. It imports nothing of normbench above it."""

from normbench.runtime.switches import PLAIN, SpeedSettings, default_settings, parse_settings

__all__ = ["PLAIN", "SpeedSettings", "default_settings", "parse_settings"]
