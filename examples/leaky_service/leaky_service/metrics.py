"""Seed 001: a performance monitor whose history grows forever."""
import time


class PerformanceMonitoringSystem:
    """Collects a metric sample every second for as long as the process lives."""

    def __init__(self):
        self.metrics_history = []
        self.running = True

    def collect(self, value: float) -> None:
        self.metrics_history.append((time.time(), value))

    def latest(self):
        return self.metrics_history[-1] if self.metrics_history else None

    def run(self, source):
        while self.running:
            self.collect(source())
            time.sleep(1)
