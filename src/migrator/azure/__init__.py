"""Azure services: the VM size catalog, sizing and cost, and (optional) live checks against a subscription.

Nothing here imports the Azure SDK (the ``migrator[azure]`` extra) at module level: live calls import it
lazily, through :func:`migrator.azure.arm.azure_sdk`, so ``migrator --help`` stays fast and planning never
needs it.
"""
