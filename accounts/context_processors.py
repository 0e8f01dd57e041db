from .navigation import menu_for
from .roles import Role, user_roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "my_roles": []}
    held = user_roles(user)
    return {
        "menu": menu_for(user, request.path),
        "my_roles": [label for value, label in Role.choices if value in held],
    }
