"""Seed 000: the ErrorIntelligenceEngine shape."""
from collections import defaultdict, deque
from typing import Any


class ErrorIntelligenceEngine:
    """Long-running engine that records every error and recovery attempt."""

    def __init__(self, history_window: int = 1000):
        self.history_window = history_window
        self.error_history: deque = deque(maxlen=history_window)
        self.component_errors: dict[str, list] = defaultdict(list)
        self._recovery_success: dict[str, list[bool]] = defaultdict(list)
        self._recovery_times: dict[str, list[float]] = defaultdict(list)

    def record_error(self, component: str, error: Any) -> None:
        record = {"component": component, "error": repr(error)}
        self.error_history.append(record)
        self.component_errors[component].append(record)

    def record_recovery(self, component: str, success: bool, seconds: float) -> None:
        self._recovery_success[component].append(success)
        self._recovery_times[component].append(seconds)

    def success_rate(self, component: str) -> float:
        success_list = self._recovery_success[component][-100:]
        return sum(success_list) / len(success_list) if success_list else 0.0

    def mean_recovery_time(self, component: str) -> float:
        time_list = self._recovery_times[component][-100:]
        return sum(time_list) / len(time_list) if time_list else 0.0

    def error_count(self, component: str) -> int:
        return len(self.component_errors[component])
