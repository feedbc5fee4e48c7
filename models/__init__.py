"""The Pyomo formulation: ``build(inputs) -> ConcreteModel`` and nothing else.

Every module here and on the solve path imports ``pyomo.core``, not ``pyomo.environ``: the
model is built with core components and handed to HiGHS as arrays
(``planner.core.highs_backend``), so Pyomo's solver, transformation and scripting plugins,
which ``pyomo.environ`` loads and registers, are never used. Loading them took 0.35 s of a
quiet ``sovplan solve``'s 1.2 s of imports (1.5 s against 0.6 s at load 6; issue 27).
"""
