"""The Pyomo formulation: ``build(inputs) -> ConcreteModel`` and nothing else."""
