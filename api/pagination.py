"""Cursor pagination: a pull that follows `next` sees every row once, even while rows are added."""

from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    # The primary key never changes and is unique, so the order is total and stable.
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        # The CSV body has no room for links: the next page is in a Link header (RFC 8288) for every format.
        next_link = self.get_next_link()
        if next_link:
            response["Link"] = f'<{next_link}>; rel="next"'
        return response
