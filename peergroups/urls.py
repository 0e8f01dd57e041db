app_name = "peergroups"

urlpatterns: list = []
