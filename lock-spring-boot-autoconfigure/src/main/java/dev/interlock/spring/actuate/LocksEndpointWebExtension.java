package dev.interlock.spring.actuate;

import dev.interlock.spring.actuate.LocksEndpoint.FreeAllLocksRefusedException;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * {@link EndpointWebExtension @EndpointWebExtension} for the {@link LocksEndpoint}: a refused
 * {@code DELETE} answers {@code 403 Forbidden} with a body that names the property enabling it,
 * where the plain endpoint's {@code 400} would hide the reason unless {@code
 * server.error.include-message} is set.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@EndpointWebExtension(endpoint = LocksEndpoint.class)
public class LocksEndpointWebExtension {

    /** HTTP 403: the request is understood but not allowed by configuration. */
    private static final int STATUS_FORBIDDEN = 403;

    private final LocksEndpoint delegate;

    /**
     * Creates the extension.
     *
     * @param delegate the endpoint to extend
     */
    public LocksEndpointWebExtension(LocksEndpoint delegate) {
        this.delegate = delegate;
    }

    /**
     * Frees every lock as {@link LocksEndpoint#freeAllLocks()} does, answering 403 when refused.
     *
     * @return the freed count, or a 403 response with {@code error} and {@code message}
     */
    @DeleteOperation
    public WebEndpointResponse<Object> freeAllLocks() {
        try {
            return new WebEndpointResponse<>(delegate.freeAllLocks());
        } catch (FreeAllLocksRefusedException ex) {
            return new WebEndpointResponse<>(
                    Map.of("error", "Forbidden", "message", FreeAllLocksRefusedException.MESSAGE), STATUS_FORBIDDEN);
        }
    }
}
