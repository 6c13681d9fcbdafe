-- Argo CD health check of argoproj.io/Application: an Application is as healthy as its resources.
-- Argo CD 1.8 stopped assessing child Applications; without this check the app-of-apps sync waves
-- (CRDs -2, operator -1, profiles 0, runs 1) would not wait for each other.
local hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
