-- Argo CD health check of seeding.iabank.io/SeedRun (Argo CD runs it with gopher-lua, Lua 5.1).
-- Installed by argocd-cm.yaml (same text, kept equal by tests/unit/test_argocd.py).
--   Succeeded -> Healthy     Failed, Cancelled -> Degraded     Waiting (window closed) -> Suspended
--   Pending, Queued, Running, no status yet -> Progressing
-- Cancelled is Degraded, not Progressing: it is final, and a wave waiting on it would wait forever.
local hs = {}
local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "waiting for seed-operator to pick up the run"
  return hs
end

local function ready_reason()
  if status.conditions ~= nil then
    for _, condition in ipairs(status.conditions) do
      if condition.type == "Ready" and condition.reason ~= nil then
        return condition.reason
      end
    end
  end
  return nil
end

local phase = status.phase
local message = status.message or ""
if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = message
  if status.report ~= nil and status.report.uri ~= nil then
    hs.message = "report " .. status.report.uri
  end
elseif phase == "Failed" or phase == "Cancelled" then
  hs.status = "Degraded"
  local detail = phase
  local reason = ready_reason()
  if reason ~= nil then
    detail = detail .. " (" .. reason
    if status.exitCode ~= nil then
      detail = detail .. ", exit " .. tostring(status.exitCode)
    end
    detail = detail .. ")"
  end
  hs.message = detail .. ": " .. message
elseif phase == "Waiting" then
  hs.status = "Suspended"
  hs.message = message
else
  hs.status = "Progressing"
  hs.message = phase
  if phase == "Queued" and status.queue ~= nil and status.queue.position ~= nil then
    hs.message = "Queued at position " .. tostring(status.queue.position)
  elseif status.batches ~= nil and status.batches.total ~= nil and status.batches.total > 0 then
    hs.message = phase .. ": " .. tostring(status.batches.succeeded or 0) .. "/" ..
      tostring(status.batches.total) .. " batches"
  end
  if message ~= "" then
    hs.message = hs.message .. ": " .. message
  end
end
return hs
