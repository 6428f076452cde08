"""Score store, metrics and the leaderboard tables: a pure function of the stored scores."""
from leaderboard.metrics import CaseMetrics, case_metrics
from leaderboard.store import STORE_COLUMNS, ScoreStore
from leaderboard.tables import leaderboard_frame, write_reports

__all__ = ["STORE_COLUMNS", "CaseMetrics", "ScoreStore", "case_metrics", "leaderboard_frame", "write_reports"]
