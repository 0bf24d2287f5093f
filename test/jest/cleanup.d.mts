export declare function dropDatabase(name: string): Promise<void>;
export declare function deleteKeys(prefix: string): Promise<void>;
