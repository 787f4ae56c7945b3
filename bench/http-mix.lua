-- The public search mix for wrk (bench/http.sh): each connection asks the URLs one after the
-- other, as a browser would, accepting gzip. At the end, one line of figures the script reads:
-- requests, errors (sockets and non-2xx answers), requests per second, p50, p99 and max in ms.

local paths = {
  "/api/v1/lieux?q=m%C3%A9diath%C3%A8que",
  "/api/v1/lieux?q=num%C3%A9rique",
  "/api/v1/lieux?pres_de=Lyon&rayon=20&service=demarches",
  "/api/v1/lieux?departement=54&ouvert=maintenant",
  "/?q=france+services&pres_de=Nancy",
  "/?q=atelier&ouvert=maintenant",
}

local counter = 0

function setup(thread)
  -- Threads start at different places in the mix.
  thread:set("offset", counter)
  counter = counter + 1
end

local n = 0

function init(args)
  n = offset or 0
end

function request()
  n = n + 1
  local path = paths[(n % #paths) + 1]
  return wrk.format("GET", path, { ["Accept-Encoding"] = "gzip" })
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "MIX requests=%d errors=%d rps=%.0f p50=%.2f p90=%.2f p99=%.2f max=%.2f\n",
    summary.requests, errors, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
