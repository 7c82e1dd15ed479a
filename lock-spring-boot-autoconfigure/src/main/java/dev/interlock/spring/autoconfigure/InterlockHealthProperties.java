package dev.interlock.spring.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the {@code interlock} health indicator, under {@code management.health.interlock}
 * like Boot's own indicators ({@code management.health.interlock.enabled} switches it off).
 *
 * @author Interlock team
 * @since 0.2.0
 */
@ConfigurationProperties("management.health.interlock")
public class InterlockHealthProperties {

    /**
     * Fewest locks that must remain free to allocate for the health to be UP, so that it reports
     * DOWN before allocation starts failing; ignored by backends without a lock limit. The default
     * 1 reports DOWN once every lock is allocated.
     */
    private int minAvailable = 1;

    /**
     * Returns {@code management.health.interlock.min-available}.
     *
     * @return the value
     */
    public int getMinAvailable() {
        return minAvailable;
    }

    /**
     * Sets {@code management.health.interlock.min-available}.
     *
     * @param minAvailable the value
     */
    public void setMinAvailable(int minAvailable) {
        this.minAvailable = minAvailable;
    }
}
