"""The portal's pages, one module per family; each handler takes the request (and, for a
signed-in page, the portal and the account: :func:`~opendata.portal.context.login_required`).
The addresses are in one table, :data:`opendata.portal.app.ROUTES`."""
