from .navigation import links, menu_html
from .roles import Role, user_roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": "", "my_roles": []}
    held = user_roles(user)
    return {
        # Rendered once per roles, language and current entry (issue 22).
        "menu": menu_html(user, request.path),
        "links": links(),
        "my_roles": [label for value, label in Role.choices if value in held],
    }
