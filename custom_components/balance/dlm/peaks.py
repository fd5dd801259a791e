"""Highest value of a sliding time window."""

from __future__ import annotations

from collections import deque


class Peaks:
    """Monotonic deque of (time, value): the window's maximum in O(1) amortised."""

    def __init__(self) -> None:
        """Empty window."""
        self._q: deque[tuple[float, float]] = deque()

    def add(self, now_s: float, value: float) -> None:
        """Record a value."""
        while self._q and self._q[-1][1] <= value:
            self._q.pop()
        self._q.append((now_s, value))

    def peak(self, now_s: float, window_s: float, current: float) -> float:
        """Highest of `current` and the values recorded in the last `window_s`.

        Callers use one window length per instance (older entries are dropped)."""
        horizon = now_s - window_s
        while self._q and self._q[0][0] < horizon:
            self._q.popleft()
        return max(current, self._q[0][1]) if self._q else current
