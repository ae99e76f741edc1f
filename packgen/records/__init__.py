"""Records: a school folder read into typed objects, checked, and the facts derived from them alone."""
