"""End-to-end demonstrations on synthetic data, each in a fresh temporary home."""

from accord.demo.foundation import run_foundation_demo

__all__ = ["run_foundation_demo"]
