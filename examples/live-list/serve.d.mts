export declare const DEFAULT_LIVE_LIST_PORT: number;
export declare function serveLiveList(options?: {
  port?: number;
  host?: string;
}): Promise<{ url: string; close(): Promise<void> }>;
