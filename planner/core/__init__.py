"""The core pipeline: scenario -> data -> model inputs -> Pyomo model -> HiGHS -> Plan.

Nothing here imports from ``planner.studies``, ``planner.reports``, the CLI or the UI.
"""
