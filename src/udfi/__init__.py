"""udfi — Form 990-T preparation for retirement accounts that own debt-financed real estate (IRC §514)."""

__version__ = "0.1.0"
