"""Triage: work orders and their storage, urgency, deadlines, routing and the closed loop."""
