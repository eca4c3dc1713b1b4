"""Speed: the switches that make training and inference fast, timing, FLOP counting and ``normbench bench``."""

from normbench.runtime.switches import PLAIN, SpeedSettings, default_settings, parse_settings

__all__ = ["PLAIN", "SpeedSettings", "default_settings", "parse_settings"]
