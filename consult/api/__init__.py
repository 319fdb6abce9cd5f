"""The JSON API (``/api/v1``): one more thin transport over the same services, with the same
permissions, masking, transitions and errors as the pages; personal tokens and app
clients; OpenAPI 3.1 generated from the schemas that validate requests and responses."""
