"""Azure services: the VM size catalog, sizing and cost, and (optional) live checks against a subscription.

Nothing here imports the Azure SDK at module level: live calls import it lazily so ``migrator --help`` stays fast
and planning never needs it.
"""
