"""Studies built on the core solve: diagnosis, Pareto frontier, sweeps, sensitivity, stress.

They depend on ``planner.core`` and on each other, never on reports or the faces.
"""
