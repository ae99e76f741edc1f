"""Inspection readiness: the rules, applied to a school's records, each finding citing its source."""
