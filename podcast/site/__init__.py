"""The show's static website: pages rendered from the same Show data as the feed (issue 14)."""
