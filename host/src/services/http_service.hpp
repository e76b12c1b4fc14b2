// The http.request host service (docs/http-services.md): a plugin's HTTP request through the
// host's client, a capability's checked against the session's network access list and the SSRF
// guard, a driver's not.
#pragma once

#include "net/network_access.hpp"
#include "plugins/plugin_instance.hpp"

namespace agenthost {

class HttpClient;

/// Add http.request (permission "net") to a session's services, under `network_access`.
void add_http_service(ServiceRouter& router, NetworkAccessList network_access);

/// Answer one http.request with `client`: params as in docs/http-services.md, streamed chunks
/// through request.chunk; throws ServiceError with the documented status and category.
boost::json::value http_request_service(HttpClient& client, const boost::json::value& params, ServiceRequest& request,
                                        const NetworkAccessList& network_access);

}  // namespace agenthost
