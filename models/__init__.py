"""The Pyomo formulation: ``build(inputs) -> ConcreteModel`` and nothing else.

Every module here and on the solve path imports ``pyomo.core``, not ``pyomo.environ``: the
model is built with core components and handed to HiGHS as arrays
(``planner.core.highs_backend``), so Pyomo's solver, transformation and scripting plugins,
which ``pyomo.environ`` loads and registers, are never used. Loading them cost about 0.1-0.2 s
of a ``sovplan solve``'s 1.2 s of imports (``python -X importtime``: pyomo.environ
0.33-0.35 s, pyomo.core 0.17-0.27 s; issue 27).
"""
