"""The Model Context Protocol edge: the service's questions, claim checks and articles as MCP tools and resources.

``qa.mcp.server`` is the one module that imports the ``mcp`` SDK; ``qa mcp`` (``qa.cli.mcp``)
runs it over stdio or Streamable HTTP. Kept light: importing this package loads nothing.
"""
